#version 330 core
// Triangle meshes with a colour per vertex (Plotly mesh3d), Blinn-Phong lit like surfaces.
layout(location = 0) in vec3 a_position;
layout(location = 1) in vec3 a_normal;
layout(location = 2) in vec4 a_color;

uniform mat4 u_view;
uniform mat4 u_projection;

out vec3 v_normal;
out vec3 v_position;
out vec4 v_color;

void main() {
  vec4 p = u_view * vec4(a_position, 1.0);
  v_position = p.xyz;
  v_normal = mat3(u_view) * a_normal;
  v_color = a_color;
  gl_Position = u_projection * p;
}
