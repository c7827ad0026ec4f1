#version 330 core
// The colour bar: a pixel-space quad whose t runs from 0 (bottom) to 1 (top).
layout(location = 0) in vec2 a_position;
layout(location = 1) in float a_t;
uniform mat4 u_matrix;
out float v_t;
void main() {
  v_t = a_t;
  gl_Position = u_matrix * vec4(a_position, 0.0, 1.0);
}
