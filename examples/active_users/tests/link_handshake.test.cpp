// The link handshake: both ends prove the cluster_secret over fresh nonces; nothing recorded verifies again.
// SPDX-License-Identifier: MIT
#include "replication/link_handshake.hpp"

#include <catch2/catch.hpp>

using namespace active_users;

namespace {

const std::string cluster_secret = "0123456789abcdef-cluster-cluster_secret";

}  // namespace

TEST_CASE("a dialer and an acceptor with the same cluster_secret agree on a link key", "[handshake]") {
    const hello h{2, random_nonce()};
    const auto parsed = read_hello(make_hello(h.acceptor, h.acceptor_nonce));
    REQUIRE(parsed);
    CHECK(parsed->acceptor == 2);
    CHECK(parsed->acceptor_nonce == h.acceptor_nonce);

    const auth a{1, random_nonce()};
    const auto checked = check_auth(cluster_secret, *parsed, make_auth(cluster_secret, *parsed, a.dialer, a.dialer_nonce));
    REQUIRE(checked);
    CHECK(checked->dialer == 1);
    const link_key acceptor_key = derive_link_key(cluster_secret, h, *checked);
    const link_key dialer_key = derive_link_key(cluster_secret, *parsed, a);
    CHECK(acceptor_key == dialer_key);
    CHECK(check_ok(dialer_key, make_ok(acceptor_key)));
}

TEST_CASE("an auth recorded on one connection does not verify on the next", "[handshake]") {
    const hello first{2, random_nonce()};
    const auto recorded = make_auth(cluster_secret, first, 1, random_nonce());
    REQUIRE(check_auth(cluster_secret, first, recorded));
    const hello next{2, random_nonce()};
    const auto replayed = check_auth(cluster_secret, next, recorded);
    REQUIRE_FALSE(replayed);
    CHECK(replayed.error().message.find("link authentication failed") == 0);
}

TEST_CASE("a handshake without the cluster_secret, or altered, fails", "[handshake]") {
    const hello h{2, random_nonce()};
    const auth a{1, random_nonce()};
    CHECK_FALSE(check_auth(cluster_secret, h, make_auth("another-secret-of-16-bytes", h, a.dialer, a.dialer_nonce)));
    auto altered = make_auth(cluster_secret, h, a.dialer, a.dialer_nonce);
    altered[8] ^= std::byte{1};  // the dialer's id: 1 -> 0
    CHECK_FALSE(check_auth(cluster_secret, h, altered));
    // A dialer cannot claim another acceptor's hello.
    CHECK_FALSE(check_auth(cluster_secret, hello{3, h.acceptor_nonce}, make_auth(cluster_secret, h, a.dialer, a.dialer_nonce)));
    // An acceptor without the cluster_secret cannot answer ok.
    const link_key real = derive_link_key(cluster_secret, h, a);
    const link_key fake = derive_link_key("another-secret-of-16-bytes", h, a);
    CHECK_FALSE(check_ok(real, make_ok(fake)));

    auto wrong_magic = make_hello(2, h.acceptor_nonce);
    wrong_magic[0] = std::byte{'X'};
    CHECK_FALSE(read_hello(wrong_magic));
    auto wrong_version = make_hello(2, h.acceptor_nonce);
    wrong_version[4] = std::byte{1};
    const auto old = read_hello(wrong_version);
    REQUIRE_FALSE(old);
    CHECK(old.error().message == "hello: link version 1 (this build speaks 2)");
}
