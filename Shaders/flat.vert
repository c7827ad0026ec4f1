#version 330 core
// Untextured, unlit triangles: the back panes of the axes box.
layout(location = 0) in vec3 a_position;
layout(location = 1) in vec4 a_color;
uniform mat4 u_matrix;
out vec4 v_color;
void main() {
  v_color = a_color;
  gl_Position = u_matrix * vec4(a_position, 1.0);
}
