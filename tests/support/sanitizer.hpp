// Whether this build (and so the sshplex binary built with it) runs under AddressSanitizer. Its
// quarantine holds freed memory and its shadow memory grows with use, so resident-memory bounds are
// asserted in the other builds only; descriptor counts and byte counts hold everywhere.
#pragma once

namespace testsupport {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif
#else
inline constexpr bool kAddressSanitizer = false;
#endif

}  // namespace testsupport
