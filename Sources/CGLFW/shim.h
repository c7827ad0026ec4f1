#ifndef TRAINSCAPE_CGLFW_SHIM_H
#define TRAINSCAPE_CGLFW_SHIM_H
// GL comes from CGL (glcorearb.h); GLFW must not include another GL header.
#define GLFW_INCLUDE_NONE 1
#include <GLFW/glfw3.h>
#endif
