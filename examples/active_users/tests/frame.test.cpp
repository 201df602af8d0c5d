// Replication frames: sealed and opened only with the same secret and unaltered bytes.
// SPDX-License-Identifier: MIT
#include "replication/frame.hpp"

#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

using namespace active_users;

namespace {

result<frame> open_sealed(const std::string& secret, const std::vector<std::byte>& sealed) {
    const auto body = std::span(sealed).subspan(frame_length_size, sealed.size() - frame_length_size - mac_size);
    return open_frame(secret, body, std::span(sealed).last(mac_size));
}

}  // namespace

TEST_CASE("a sealed frame opens only with the same secret and unaltered bytes", "[frames]") {
    const std::string secret = "cluster-secret-0123456789";
    const frame f{2, 7, 123456, {std::byte{1}, std::byte{2}, std::byte{3}}};
    const auto sealed = seal_frame(secret, f);
    CHECK(frame_body_length(std::span(sealed).first<frame_length_size>()) == sealed.size() - frame_length_size - mac_size);

    const auto opened = open_sealed(secret, sealed);
    REQUIRE(opened);
    CHECK(opened->channel == 2);
    CHECK(opened->sender == 7);
    CHECK(opened->sent_ms == 123456);
    CHECK(opened->payload == f.payload);

    const auto wrong = open_sealed("another-secret-0123456789", sealed);
    REQUIRE_FALSE(wrong);
    CHECK(wrong.error().message.find("authentication") != std::string::npos);
    for (const std::size_t at : {std::size_t{4}, std::size_t{5}, sealed.size() - mac_size - 1, sealed.size() - 1}) {
        auto tampered = sealed;
        tampered[at] ^= std::byte{1};
        CHECK_FALSE(open_sealed(secret, tampered));
    }
}

TEST_CASE("an authentic frame with a bad header is refused after the MAC check", "[frames]") {
    const std::string secret = "cluster-secret-0123456789";
    // Bodies made here and MACed with the secret, as only a holder of the secret could.
    const auto mac_of = [&](const std::vector<std::byte>& body) {
        std::vector<std::byte> mac(mac_size);
        unsigned int len = 0;
        HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
             reinterpret_cast<const unsigned char*>(body.data()), body.size(),
             reinterpret_cast<unsigned char*>(mac.data()), &len);
        return mac;
    };
    const auto sealed = seal_frame(secret, frame{1, 7, 1, {std::byte{9}}});
    std::vector<std::byte> body(sealed.begin() + frame_length_size, sealed.end() - mac_size);
    REQUIRE(open_frame(secret, body, mac_of(body)));

    auto v2 = body;
    v2[0] = std::byte{2};
    const auto bad_version = open_frame(secret, v2, mac_of(v2));
    REQUIRE_FALSE(bad_version);
    CHECK(bad_version.error().message == "unsupported frame version 2");

    const std::vector<std::byte> short_body(body.begin(), body.begin() + 5);
    const auto too_short = open_frame(secret, short_body, mac_of(short_body));
    REQUIRE_FALSE(too_short);
    CHECK(too_short.error().message == "frame shorter than its header");

    const auto full_mac = mac_of(body);
    CHECK_FALSE(open_frame(secret, body, std::span(full_mac).first(mac_size - 1)));
}
