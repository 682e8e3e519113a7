// CPluginABI only carries types (include/plugin_abi.h); SwiftPM needs one source file per C target.
#include "plugin_abi.h"
