// link_crypto: thin wrappers over OpenSSL's HMAC, RAND_bytes and CRYPTO_memcmp.
// SPDX-License-Identifier: MIT
#include "replication/link_crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>
#include <vector>

namespace active_users {

mac hmac_sha256(std::span<const std::byte> key, std::initializer_list<std::span<const std::byte>> parts) {
    std::vector<std::byte> data;
    for (const auto& part : parts) data.insert(data.end(), part.begin(), part.end());
    mac out{};
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), reinterpret_cast<unsigned char*>(out.data()), &len);
    return out;
}

nonce random_nonce() {
    nonce n{};
    if (RAND_bytes(reinterpret_cast<unsigned char*>(n.data()), static_cast<int>(n.size())) != 1)
        throw std::runtime_error("no random bytes for a link nonce");
    return n;
}

bool same_mac(std::span<const std::byte> a, std::span<const std::byte> b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace active_users
