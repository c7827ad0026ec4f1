#version 330 core
// Grid surfaces lit per vertex (Gouraud): the same Blinn-Phong model and colour-map lookup as
// surface.vert/surface.frag, evaluated at the vertices. For dense grids (cells a few pixels
// wide, as in turntable frames) it looks the same and costs far less per pixel on a software
// rasterizer; coarse grids keep per-pixel lighting.
// Vertices come in axis space, as for surface.vert.
layout(location = 0) in vec3 a_position;  // axis space, relative to the trace's origin
layout(location = 1) in vec3 a_normal;    // axis space, unit length
layout(location = 2) in float a_scalar;   // colour value, relative to the colour origin

uniform mat4 u_view;
uniform mat4 u_projection;
uniform vec3 u_scale;         // axis space -> normalized box: a_position * u_scale + u_offset
uniform vec3 u_offset;
uniform vec3 u_normal_scale;  // 1 / u_scale, divided by its largest component
uniform vec2 u_color;         // colour value -> colour-map coordinate: a_scalar * x + y
uniform sampler2D u_colormap;  // 256 x 1 lookup texture
uniform vec3 u_light_dir;      // towards the light, view space, normalized
uniform float u_ambient;
uniform float u_diffuse;
uniform float u_specular;
uniform float u_shininess;

out vec3 v_color;

void main() {
  vec4 p = u_view * vec4(a_position * u_scale + u_offset, 1.0);
  // The view matrix is a rotation + translation.
  vec3 n = normalize(mat3(u_view) * normalize(a_normal * u_normal_scale));
  vec3 view_dir = normalize(-p.xyz);
  if (dot(n, view_dir) < 0.0) n = -n;  // two-sided lighting: the underside is lit too
  float t = clamp(a_scalar * u_color.x + u_color.y, 0.0, 1.0) * (255.0 / 256.0) + 0.5 / 256.0;
  vec3 base = textureLod(u_colormap, vec2(t, 0.5), 0.0).rgb;
  float diffuse = max(dot(n, u_light_dir), 0.0);
  vec3 halfway = normalize(u_light_dir + view_dir);
  float specular = pow(max(dot(n, halfway), 0.0), u_shininess);
  v_color = min(base * (u_ambient + u_diffuse * diffuse) + vec3(u_specular * specular), vec3(1.0));
  gl_Position = u_projection * p;
}
