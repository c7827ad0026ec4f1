#version 330 core
// Fast approximate anti-aliasing of the 3D plot (edge-directed blur along the luma gradient,
// after Lottes' FXAA): one full-screen pass, far cheaper than 4x MSAA on a software rasterizer.
// Text and the 2D overlay are drawn after it, so they stay sharp. TrainscapeCore's FXAA.apply
// is the same filter on the CPU, for software rasterizers: keep the two in step.
in vec2 v_uv;
uniform sampler2D u_image;
uniform vec2 u_texel;  // 1 / image size
out vec4 frag_color;

const float REDUCE_MIN = 1.0 / 128.0;
const float REDUCE_MUL = 1.0 / 8.0;
const float SPAN_MAX = 8.0;
const float EDGE_THRESHOLD_MIN = 1.0 / 32.0;  // no edge below this luma contrast,
const float EDGE_THRESHOLD = 1.0 / 8.0;       // or below this fraction of the brightest

float luma(vec3 c) { return dot(c, vec3(0.299, 0.587, 0.114)); }

void main() {
  vec4 centre = texture(u_image, v_uv);
  float lNW = luma(texture(u_image, v_uv + vec2(-1.0, -1.0) * u_texel).rgb);
  float lNE = luma(texture(u_image, v_uv + vec2(1.0, -1.0) * u_texel).rgb);
  float lSW = luma(texture(u_image, v_uv + vec2(-1.0, 1.0) * u_texel).rgb);
  float lSE = luma(texture(u_image, v_uv + vec2(1.0, 1.0) * u_texel).rgb);
  float lM = luma(centre.rgb);
  float lMin = min(lM, min(min(lNW, lNE), min(lSW, lSE)));
  float lMax = max(lM, max(max(lNW, lNE), max(lSW, lSE)));
  if (lMax - lMin < max(EDGE_THRESHOLD_MIN, lMax * EDGE_THRESHOLD)) {
    frag_color = centre;
    return;
  }
  vec2 dir = vec2(-((lNW + lNE) - (lSW + lSE)), (lNW + lSW) - (lNE + lSE));
  float reduce = max((lNW + lNE + lSW + lSE) * 0.25 * REDUCE_MUL, REDUCE_MIN);
  float scale = 1.0 / (min(abs(dir.x), abs(dir.y)) + reduce);
  dir = clamp(dir * scale, vec2(-SPAN_MAX), vec2(SPAN_MAX)) * u_texel;
  vec3 a = 0.5 * (texture(u_image, v_uv + dir * (1.0 / 3.0 - 0.5)).rgb
                + texture(u_image, v_uv + dir * (2.0 / 3.0 - 0.5)).rgb);
  vec3 b = 0.5 * a + 0.25 * (texture(u_image, v_uv - dir * 0.5).rgb
                           + texture(u_image, v_uv + dir * 0.5).rgb);
  float lB = luma(b);
  frag_color = vec4((lB < lMin || lB > lMax) ? a : b, centre.a);
}
