#version 330 core
in vec4 v_color;
in float v_size;
out vec4 frag_color;

void main() {
  // Distance from the sprite centre in pixels.
  vec2 p = (gl_PointCoord - vec2(0.5)) * v_size;
  float r = length(p);
  float radius = 0.5 * v_size;
  float alpha = clamp(radius - r + 0.5, 0.0, 1.0);  // one pixel of anti-aliasing
  if (alpha <= 0.0) discard;
  // A thin darker rim keeps overlapping markers apart.
  float rim = smoothstep(radius - 1.6, radius - 0.6, r);
  vec3 color = mix(v_color.rgb, v_color.rgb * 0.55, rim * step(4.0, v_size));
  frag_color = vec4(color, v_color.a * alpha);
}
