#version 330 core
// Scatter-trace lines (expanded to quads by line.geom). Vertices come in axis space, relative
// to the trace's origin: the box normalization and the colour range are uniforms, so a followed
// trace that grows only uploads its new points.
layout(location = 0) in vec3 a_position;  // axis space, relative to the trace's origin
layout(location = 1) in vec4 a_color;     // the colour (or, coloured by value, its alpha)
layout(location = 2) in float a_width;
layout(location = 3) in float a_scalar;   // colour value relative to the colour origin; > 1e37: a_color

uniform mat4 u_matrix;         // projection * view
uniform vec3 u_scale;          // axis space -> normalized box: a_position * u_scale + u_offset
uniform vec3 u_offset;
uniform vec2 u_color;          // colour value -> colour-map coordinate: a_scalar * x + y
uniform int u_use_colormap;
uniform sampler2D u_colormap;  // 256 x 1 lookup texture

out vec4 g_color;
out float g_width;

void main() {
  g_color = a_color;
  if (u_use_colormap != 0 && a_scalar < 1e37) {
    // Sample centres of the 256 texels span [0.5/256, 255.5/256].
    float t = clamp(a_scalar * u_color.x + u_color.y, 0.0, 1.0) * (255.0 / 256.0) + 0.5 / 256.0;
    g_color = vec4(textureLod(u_colormap, vec2(t, 0.5), 0.0).rgb, a_color.a);
  }
  g_width = a_width;
  gl_Position = u_matrix * vec4(a_position * u_scale + u_offset, 1.0);
}
