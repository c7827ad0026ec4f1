#version 330 core
layout(lines) in;
layout(triangle_strip, max_vertices = 4) out;

in vec4 g_color[];
in float g_width[];
uniform vec2 u_viewport;  // pixels

out vec4 f_color;
out float f_along;  // distance from the segment's start, in the units of u_viewport (dashes)

void main() {
  vec4 p0 = gl_in[0].gl_Position;
  vec4 p1 = gl_in[1].gl_Position;
  // Clip against the near plane so the perspective divide stays finite.
  if (p0.w <= 1e-6 && p1.w <= 1e-6) return;
  if (p0.w <= 1e-6) p0 = mix(p0, p1, (1e-6 - p0.w) / (p1.w - p0.w));
  if (p1.w <= 1e-6) p1 = mix(p1, p0, (1e-6 - p1.w) / (p0.w - p1.w));
  vec2 s0 = p0.xy / p0.w * u_viewport * 0.5;
  vec2 s1 = p1.xy / p1.w * u_viewport * 0.5;
  vec2 d = s1 - s0;
  float len = length(d);
  vec2 dir = len > 1e-6 ? d / len : vec2(1.0, 0.0);
  vec2 normal = vec2(-dir.y, dir.x);
  float half_width = 0.5 * g_width[0];
  // Extend the ends by half the width so that joined segments have square corners.
  vec2 along = dir * half_width;
  vec2 offset = normal * half_width;
  vec2 to_clip = 2.0 / u_viewport;
  vec2 c[4] = vec2[4](s0 - along - offset, s0 - along + offset, s1 + along - offset, s1 + along + offset);
  vec4 ends[4] = vec4[4](p0, p0, p1, p1);
  for (int i = 0; i < 4; i++) {
    vec4 e = ends[i];
    gl_Position = vec4(c[i] * to_clip * e.w, e.z, e.w);
    f_color = g_color[i < 2 ? 0 : 1];
    f_along = i < 2 ? -half_width : len + half_width;
    EmitVertex();
  }
  EndPrimitive();
}
