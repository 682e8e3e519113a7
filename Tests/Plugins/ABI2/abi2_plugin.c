#include "abi2_plugin.h"

uint32_t plugin_abi_version(void) { return 2; }
