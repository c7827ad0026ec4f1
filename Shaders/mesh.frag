#version 330 core
in vec3 v_normal;
in vec3 v_position;
in vec4 v_color;

uniform vec3 u_light_dir;
uniform float u_ambient;
uniform float u_diffuse;
uniform float u_specular;
uniform float u_shininess;

out vec4 frag_color;

void main() {
  vec3 n = normalize(v_normal);
  vec3 view_dir = normalize(-v_position);
  if (dot(n, view_dir) < 0.0) n = -n;
  float diffuse = max(dot(n, u_light_dir), 0.0);
  vec3 halfway = normalize(u_light_dir + view_dir);
  float specular = pow(max(dot(n, halfway), 0.0), u_shininess);
  vec3 color = v_color.rgb * (u_ambient + u_diffuse * diffuse) + vec3(u_specular * specular);
  frag_color = vec4(min(color, vec3(1.0)), v_color.a);
}
