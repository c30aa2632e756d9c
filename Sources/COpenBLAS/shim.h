#pragma once
#include <cblas.h>
// Declared by Debian's openblas headers; used to pin BLAS threading from Swift.
