#include "not_a_plugin.h"

int ledgerline_not_a_plugin_answer(void) { return 42; }
