// libharu (Debian: libhpdf-dev), the PDF library superbills and bills are drawn with.
#include <hpdf.h>
