#ifndef TRAINSCAPE_CGL_SHIM_H
#define TRAINSCAPE_CGL_SHIM_H
// Core-profile OpenGL only: glcorearb.h declares no legacy entry points.
// glvnd's libOpenGL exports every core function, so no loader is needed.
#define GL_GLEXT_PROTOTYPES 1
#include <GL/glcorearb.h>
#endif
