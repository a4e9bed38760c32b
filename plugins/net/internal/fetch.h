// HttpFetch with an extra, narrowing address check: what HttpFetch runs with
// no filter, and what tests use to prove that redirect targets go through
// the guard again (every test server is on loopback, which allow_private has
// to admit). Thread-safe as HttpFetch.
#pragma once

#include <sys/socket.h>

#include <functional>
#include <string_view>

#include "base/result.h"
#include "plugins/net/http_fetch.h"

namespace kiln::plugins::internal {

// Sees each resolved address (port included) that AddressAllowed admitted;
// false refuses it like the guard does, with kPermissionDenied.
using AddressFilter = std::function<bool(const sockaddr* addr)>;

Result<FetchResponse> HttpFetchFiltered(std::string_view url, const FetchOptions& options,
                                        const AddressFilter& filter);

}  // namespace kiln::plugins::internal
