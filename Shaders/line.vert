#version 330 core
// Wide lines: each segment becomes a screen-space quad in line.geom, since core-profile
// glLineWidth only guarantees 1 px. Used for 3D decorations and the 2D overlay alike.
layout(location = 0) in vec3 a_position;
layout(location = 1) in vec4 a_color;
layout(location = 2) in float a_width;

uniform mat4 u_matrix;  // projection * view, or the pixel-space orthographic matrix

out vec4 g_color;
out float g_width;

void main() {
  g_color = a_color;
  g_width = a_width;
  gl_Position = u_matrix * vec4(a_position, 1.0);
}
