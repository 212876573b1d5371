#pragma once
// VisualHostKey's picture of a host key: the "drunken bishop" walk over a 17x9 field driven by the
// key's SHA-256 digest, framed with the key type and size on top and the hash name below, as ssh
// and ssh-keygen -lv draw it (Loss, Limasset and Ferguson's description of OpenSSH's random art).
#include <string>

#include "ssh/wire/bytes.hpp"

namespace ssh::crypto {

// The nine-line picture (lines joined by '\n', no trailing newline); empty for a malformed blob.
std::string randomart(ByteView key_blob);

// "ED25519 256", "ECDSA 384", "RSA 3072": what the picture's top border names; empty if malformed.
std::string key_label(ByteView key_blob);

}  // namespace ssh::crypto
