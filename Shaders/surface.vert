#version 330 core
// Grid surfaces: Blinn-Phong lit, coloured through a colour-map lookup texture. Vertices come
// in axis space (SurfaceAxisGeometry): the axis box normalization and the colour range are
// uniforms, so a followed surface that grows only uploads its new columns.
layout(location = 0) in vec3 a_position;  // axis space, relative to the trace's origin
layout(location = 1) in vec3 a_normal;    // axis space, unit length
layout(location = 2) in float a_scalar;   // colour value, relative to the colour origin

uniform mat4 u_view;
uniform mat4 u_projection;
uniform vec3 u_scale;         // axis space -> normalized box: a_position * u_scale + u_offset
uniform vec3 u_offset;
uniform vec3 u_normal_scale;  // 1 / u_scale, divided by its largest component
uniform vec2 u_color;         // colour value -> colour-map coordinate: a_scalar * x + y

out vec3 v_normal;    // view space
out vec3 v_position;  // view space
out float v_scalar;

void main() {
  vec4 p = u_view * vec4(a_position * u_scale + u_offset, 1.0);
  v_position = p.xyz;
  // The view matrix is a rotation + translation.
  v_normal = mat3(u_view) * normalize(a_normal * u_normal_scale);
  // Clamped per vertex, so a missing colour (a huge negative value) interpolates as 0.
  v_scalar = clamp(a_scalar * u_color.x + u_color.y, 0.0, 1.0);
  gl_Position = u_projection * p;
}
