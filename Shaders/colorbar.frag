#version 330 core
in float v_t;
uniform sampler2D u_colormap;
out vec4 frag_color;
void main() {
  float t = clamp(v_t, 0.0, 1.0) * (255.0 / 256.0) + 0.5 / 256.0;
  frag_color = vec4(texture(u_colormap, vec2(t, 0.5)).rgb, 1.0);
}
