#pragma once
#include <png.h>
// Composite macros are not imported into Swift; expose the ones Tessera uses.
static const unsigned int TESSERA_PNG_FORMAT_RGBA = PNG_FORMAT_RGBA;
