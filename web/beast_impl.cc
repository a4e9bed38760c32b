// The one translation unit that compiles Asio's and Beast's library code
// (BOOST_ASIO_SEPARATE_COMPILATION / BOOST_BEAST_SEPARATE_COMPILATION are
// defined for every user of the kiln_web_server target).
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
