#version 330 core
in vec4 v_color;
in float v_size;
out vec4 frag_color;

uniform vec3 u_outline_color;   // marker.line: the outline of filled symbols, the colour of
uniform float u_outline_width;  // open ones; width in pixels, 0: none
uniform int u_symbol;  // 0 disc, 1 ring (open circle), 2 cross (x), 3 square, 4 open square,
                       // 5 diamond, 6 open diamond, 7 plus (upright cross)

void main() {
  // Distance from the sprite centre in pixels.
  vec2 p = (gl_PointCoord - vec2(0.5)) * v_size;
  float r = length(p);
  float radius = 0.5 * v_size;
  vec3 color = v_color.rgb;
  float alpha;
  if (u_symbol == 1) {
    // A ring about a sixth of the diameter thick (at least 1.5 px), anti-aliased on both edges.
    float width = max(1.5, v_size * 0.17);
    alpha = clamp(radius - r + 0.5, 0.0, 1.0) * clamp(r - (radius - width) + 0.5, 0.0, 1.0);
  } else if (u_symbol == 2) {
    // Two diagonal bars, each about a seventh of the diameter thick, inside 0.8 of the sprite.
    float half_width = max(0.9, v_size * 0.075);
    float d = min(abs(p.x - p.y), abs(p.x + p.y)) * 0.70710678;
    float extent = radius * 0.8 - max(abs(p.x), abs(p.y));
    alpha = clamp(half_width - d + 0.5, 0.0, 1.0) * clamp(extent + 0.5, 0.0, 1.0);
  } else if (u_symbol == 3 || u_symbol == 4) {
    // A square of about 0.8 of the sprite (the disc's area), filled or as an outline.
    float half_side = radius * 0.8;
    float m = max(abs(p.x), abs(p.y));
    alpha = clamp(half_side - m + 0.5, 0.0, 1.0);
    if (u_symbol == 4) alpha *= clamp(m - (half_side - max(1.5, v_size * 0.15)) + 0.5, 0.0, 1.0);
  } else if (u_symbol == 5 || u_symbol == 6) {
    // A diamond reaching the sprite's edge at its corners, filled or as an outline; distances
    // across its edges are (|x| + |y| - radius) / sqrt(2).
    float m = (abs(p.x) + abs(p.y)) * 0.70710678;
    float reach = radius * 0.70710678;
    alpha = clamp(reach - m + 0.5, 0.0, 1.0);
    if (u_symbol == 6) alpha *= clamp(m - (reach - max(1.5, v_size * 0.15)) + 0.5, 0.0, 1.0);
  } else if (u_symbol == 7) {
    // An upright cross: two bars along the axes, each about a seventh of the diameter thick.
    float half_width = max(0.9, v_size * 0.075);
    float d = min(abs(p.x), abs(p.y));
    float extent = radius * 0.8 - max(abs(p.x), abs(p.y));
    alpha = clamp(half_width - d + 0.5, 0.0, 1.0) * clamp(extent + 0.5, 0.0, 1.0);
  } else {
    alpha = clamp(radius - r + 0.5, 0.0, 1.0);  // one pixel of anti-aliasing
    // A thin darker rim keeps overlapping markers apart.
    float rim = smoothstep(radius - 1.6, radius - 0.6, r);
    color = mix(v_color.rgb, v_color.rgb * 0.55, rim * step(4.0, v_size));
  }
  // Filled symbols get the outline over their last u_outline_width pixels; open ones take its
  // colour (plotly.js draws open glyphs in marker.line.color).
  if (u_outline_width > 0.0) {
    if (u_symbol == 1 || u_symbol == 4 || u_symbol == 6) {
      color = u_outline_color;
    } else if (u_symbol == 0 || u_symbol == 3 || u_symbol == 5) {
      float inside = u_symbol == 0 ? radius - r
        : u_symbol == 3 ? radius * 0.8 - max(abs(p.x), abs(p.y))
        : (radius - abs(p.x) - abs(p.y)) * 0.70710678;
      color = mix(color, u_outline_color, clamp(u_outline_width - inside + 0.5, 0.0, 1.0));
    }
  }
  if (alpha <= 0.0) discard;
  frag_color = vec4(color, v_color.a * alpha);
}
