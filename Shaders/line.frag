#version 330 core
in vec4 f_color;
in float f_along;
out vec4 frag_color;
// Dashes (scatter lines' line.dash): 0 solid, 1 dot, 2 dash, 3 longdash, 4 dashdot,
// 5 longdashdot, as plotly.js's patterns in units of u_dash_unit (the line width, at least 3
// style units); the pattern starts again at each segment.
uniform int u_dash;
uniform float u_dash_unit;
void main() {
  if (u_dash != 0 && u_dash_unit > 0.0) {
    float a = max(f_along, 0.0) / u_dash_unit;
    bool on;
    if (u_dash == 1) on = mod(a, 2.0) < 1.0;
    else if (u_dash == 2) on = mod(a, 6.0) < 3.0;
    else if (u_dash == 3) on = mod(a, 10.0) < 5.0;
    else if (u_dash == 4) { float m = mod(a, 6.0); on = m < 3.0 || (m >= 4.0 && m < 5.0); }
    else { float m = mod(a, 10.0); on = m < 5.0 || (m >= 7.0 && m < 8.0); }
    if (!on) discard;
  }
  frag_color = f_color;
}
