// Replication frames: sealed under a link key, opened once each, in order, from their own peer only.
// SPDX-License-Identifier: MIT
#include "replication/frame.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace active_users;

namespace {

link_key key_of(std::byte fill) {
    link_key k{};
    std::fill(k.begin(), k.end(), fill);
    return k;
}

struct sealed_parts {
    std::vector<std::byte> body;
    std::vector<std::byte> tag;
};

sealed_parts split(const std::vector<std::byte>& sealed) {
    REQUIRE(frame_body_length(std::span(sealed).first<frame_length_size>()) ==
            sealed.size() - frame_length_size - frame_tag_size);
    return {{sealed.begin() + frame_length_size, sealed.end() - frame_tag_size},
            {sealed.end() - frame_tag_size, sealed.end()}};
}

/// The tag a peer holding `key` would put on `body`.
std::vector<std::byte> tag_for(const link_key& key, std::span<const std::byte> body) {
    const mac m = hmac_sha256(key, {body});
    return {m.begin(), m.begin() + frame_tag_size};
}

}  // namespace

TEST_CASE("a sealed frame opens only under its link key and unaltered", "[frames]") {
    frame_sealer sealer(key_of(std::byte{1}));
    const frame f{2, 7, 123456, {std::byte{1}, std::byte{2}, std::byte{3}}};
    const auto sealed = split(sealer.seal(f));

    frame_opener other_link(key_of(std::byte{9}), 7);
    const auto wrong = other_link.open(sealed.body, sealed.tag);
    REQUIRE_FALSE(wrong);
    CHECK(wrong.error().message.find("authentication") != std::string::npos);
    for (const std::size_t at : {std::size_t{0}, std::size_t{1}, sealed.body.size() - 1}) {
        auto tampered = sealed.body;
        tampered[at] ^= std::byte{1};
        frame_opener opener(key_of(std::byte{1}), 7);
        CHECK_FALSE(opener.open(tampered, sealed.tag));
    }

    frame_opener opener(key_of(std::byte{1}), 7);
    const auto opened = opener.open(sealed.body, sealed.tag);
    REQUIRE(opened);
    CHECK(opened->channel == 2);
    CHECK(opened->sender == 7);
    CHECK(opened->sent_ms == 123456);
    CHECK(opened->payload == f.payload);
}

TEST_CASE("a frame repeated or out of order on its connection is refused as a replay", "[frames]") {
    frame_sealer sealer(key_of(std::byte{1}));
    const auto first = split(sealer.seal(frame{1, 7, 1, {std::byte{1}}}));
    const auto second = split(sealer.seal(frame{1, 7, 2, {std::byte{2}}}));
    const auto third = split(sealer.seal(frame{1, 7, 3, {std::byte{3}}}));

    frame_opener opener(key_of(std::byte{1}), 7);
    REQUIRE(opener.open(first.body, first.tag));
    const auto again = opener.open(first.body, first.tag);
    REQUIRE_FALSE(again);
    CHECK(again.error().code == status::replayed);
    const auto skipped = opener.open(third.body, third.tag);
    REQUIRE_FALSE(skipped);
    CHECK(skipped.error().code == status::replayed);
    CHECK(opener.open(second.body, second.tag));  // refusals moved nothing
    CHECK(opener.open(third.body, third.tag));
}

TEST_CASE("a frame's sender is its link's peer, whatever the sealer was given, and costs 38 bytes", "[frames]") {
    frame_sealer sealer(key_of(std::byte{1}));
    const auto sealed = sealer.seal(frame{1, 8, 1, {std::byte{5}}});
    CHECK(sealed.size() == 38 + 1);  // length, version, channel, time, counter, payload, tag
    const auto parts = split(sealed);
    frame_opener opener(key_of(std::byte{1}), 7);
    const auto r = opener.open(parts.body, parts.tag);
    REQUIRE(r);
    CHECK(r->sender == 7);
    // Every byte of the tag counts.
    for (std::size_t at = 0; at < frame_tag_size; ++at) {
        auto tag = parts.tag;
        tag[at] ^= std::byte{0x80};
        frame_opener fresh(key_of(std::byte{1}), 7);
        CHECK_FALSE(fresh.open(parts.body, tag));
    }
}

TEST_CASE("an authentic frame with a bad header is refused after the MAC check", "[frames]") {
    const link_key key = key_of(std::byte{1});
    frame_sealer sealer(key);
    auto body = split(sealer.seal(frame{1, 7, 1, {std::byte{9}}})).body;
    body[0] = std::byte{1};  // version 1, MACed with the key as only a peer could
    frame_opener opener(key, 7);
    const auto bad_version = opener.open(body, tag_for(key, body));
    REQUIRE_FALSE(bad_version);
    CHECK(bad_version.error().message == "unsupported frame version 1");

    const std::vector<std::byte> short_body(body.begin(), body.begin() + 5);
    const auto too_short = opener.open(short_body, tag_for(key, short_body));
    REQUIRE_FALSE(too_short);
    CHECK(too_short.error().message == "frame shorter than its header");
    const auto full = hmac_sha256(key, {body});
    // A tag cut short, or the whole MAC: refused by the tag check, before the header is read.
    for (const auto tag : {std::span<const std::byte>(full).first(frame_tag_size - 1), std::span<const std::byte>(full)}) {
        const auto r = opener.open(body, tag);
        REQUIRE_FALSE(r);
        CHECK(r.error().message.find("authentication") != std::string::npos);
    }
}
