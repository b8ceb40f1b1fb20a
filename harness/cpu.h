/* cpu.h: CPU detection lives below the variants (kernels/platform/cpu.h);
 * this name stays for the harness files that include "cpu.h". */
#include "../kernels/platform/cpu.h"
