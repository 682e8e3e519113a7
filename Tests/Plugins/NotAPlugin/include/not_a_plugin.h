/// A shared library with no plugin symbols.
int ledgerline_not_a_plugin_answer(void);
