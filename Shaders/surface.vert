#version 330 core
// Grid surfaces: Blinn-Phong lit, coloured through a colour-map lookup texture.
layout(location = 0) in vec3 a_position;
layout(location = 1) in vec3 a_normal;
layout(location = 2) in float a_scalar;

uniform mat4 u_view;
uniform mat4 u_projection;

out vec3 v_normal;    // view space
out vec3 v_position;  // view space
out float v_scalar;

void main() {
  vec4 p = u_view * vec4(a_position, 1.0);
  v_position = p.xyz;
  v_normal = mat3(u_view) * a_normal;  // the view matrix is a rotation + translation
  v_scalar = a_scalar;
  gl_Position = u_projection * p;
}
