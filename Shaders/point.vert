#version 330 core
// Markers: round point sprites, sized in pixels.
layout(location = 0) in vec3 a_position;
layout(location = 1) in vec4 a_color;
layout(location = 2) in float a_size;

uniform mat4 u_matrix;
uniform float u_scale;  // pixels per style unit (1 at 1280x720)

out vec4 v_color;
out float v_size;

void main() {
  v_color = a_color;
  v_size = max(a_size * u_scale, 1.0);
  gl_PointSize = v_size;
  gl_Position = u_matrix * vec4(a_position, 1.0);
}
