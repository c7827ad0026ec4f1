#version 330 core
// Text from a signed-distance-field atlas: crisp at any size.
layout(location = 0) in vec2 a_position;  // pixels, y down
layout(location = 1) in vec2 a_uv;
layout(location = 2) in vec4 a_color;
uniform mat4 u_matrix;
out vec2 v_uv;
out vec4 v_color;
void main() {
  v_uv = a_uv;
  v_color = a_color;
  gl_Position = u_matrix * vec4(a_position, 0.0, 1.0);
}
