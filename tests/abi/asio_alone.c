/* foldback/asio.h compiles alone as strict C11 (flags in CMakeLists.txt), and twice: the
 * include guard works. */
#include <foldback/asio.h>
