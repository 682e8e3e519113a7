#include <stdint.h>
/// Claims plugin ABI 2, which this server does not speak.
uint32_t plugin_abi_version(void);
