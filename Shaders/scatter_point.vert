#version 330 core
// Scatter-trace markers: round point sprites, sized in pixels (point.frag). Vertices come in
// axis space, as in scatter_line.vert.
layout(location = 0) in vec3 a_position;  // axis space, relative to the trace's origin
layout(location = 1) in vec4 a_color;     // the colour (or, coloured by value, its alpha)
layout(location = 2) in float a_size;
layout(location = 3) in float a_scalar;   // colour value relative to the colour origin; > 1e37: a_color

uniform mat4 u_matrix;
uniform float u_scale_px;      // pixels per style unit (1 at 1280x720)
uniform vec3 u_scale;          // axis space -> normalized box: a_position * u_scale + u_offset
uniform vec3 u_offset;
uniform vec2 u_color;          // colour value -> colour-map coordinate: a_scalar * x + y
uniform int u_use_colormap;
uniform sampler2D u_colormap;  // 256 x 1 lookup texture

out vec4 v_color;
out float v_size;

void main() {
  v_color = a_color;
  if (u_use_colormap != 0 && a_scalar < 1e37) {
    float t = clamp(a_scalar * u_color.x + u_color.y, 0.0, 1.0) * (255.0 / 256.0) + 0.5 / 256.0;
    v_color = vec4(textureLod(u_colormap, vec2(t, 0.5), 0.0).rgb, a_color.a);
  }
  v_size = max(a_size * u_scale_px, 1.0);
  gl_PointSize = v_size;
  gl_Position = u_matrix * vec4(a_position * u_scale + u_offset, 1.0);
  // A marker wins over the lines through its own point (its trace's line, error bars): pulled
  // a hair towards the camera (1e-4 of the depth range), as plotly.js draws markers over lines.
  gl_Position.z -= 2e-4 * gl_Position.w;
}
