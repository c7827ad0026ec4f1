#version 330 core
in vec2 v_uv;
in vec4 v_color;
uniform sampler2D u_atlas;
out vec4 frag_color;
void main() {
  float d = texture(u_atlas, v_uv).r;
  // Screen-space width of the 0.5 iso-line: one pixel of anti-aliasing at any scale.
  float w = max(fwidth(d) * 0.75, 1e-4);
  float alpha = smoothstep(0.5 - w, 0.5 + w, d);
  frag_color = vec4(v_color.rgb, v_color.a * alpha);
}
