#version 330 core
in vec3 v_normal;
in vec3 v_position;
in float v_scalar;

uniform sampler2D u_colormap;  // 256 x 1 lookup texture
uniform vec3 u_light_dir;      // towards the light, view space, normalized
uniform float u_opacity;
uniform float u_ambient;
uniform float u_diffuse;
uniform float u_specular;
uniform float u_shininess;

out vec4 frag_color;

void main() {
  // Sample centres of the 256 texels span [0.5/256, 255.5/256].
  float t = clamp(v_scalar, 0.0, 1.0) * (255.0 / 256.0) + 0.5 / 256.0;
  vec3 base = texture(u_colormap, vec2(t, 0.5)).rgb;
  vec3 n = normalize(v_normal);
  vec3 view_dir = normalize(-v_position);
  if (dot(n, view_dir) < 0.0) n = -n;  // two-sided lighting: the underside is lit too
  float diffuse = max(dot(n, u_light_dir), 0.0);
  vec3 halfway = normalize(u_light_dir + view_dir);
  float specular = pow(max(dot(n, halfway), 0.0), u_shininess);
  vec3 color = base * (u_ambient + u_diffuse * diffuse) + vec3(u_specular * specular);
  frag_color = vec4(min(color, vec3(1.0)), u_opacity);
}
