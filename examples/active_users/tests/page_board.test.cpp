// The page board: totals, the top pages, and a digest that depends on the counts alone.
// SPDX-License-Identifier: MIT
#include "cluster/page_board.hpp"

#include <catch2/catch.hpp>

using namespace active_users;

TEST_CASE("the board keeps the total and the pages whose count is not zero", "[page_board]") {
    page_board b;
    b.set("home", 5);
    b.set("news", 3);
    b.set("gone", 2);
    b.set("gone", 0);
    b.set("minus", -1);  // adjustments may take a count below zero
    const auto s = b.totals();
    CHECK(s.viewers == 7);
    CHECK(s.pages == 3);
    CHECK(s.top.empty());
    b.set("home", 1);
    CHECK(b.totals().viewers == 3);
}

TEST_CASE("the top pages are the largest counts, ties by name, at most n", "[page_board]") {
    page_board b;
    b.set("c", 2);
    b.set("a", 2);
    b.set("b", 9);
    b.set("d", 1);
    const auto s = b.top(3);
    REQUIRE(s.top.size() == 3);
    CHECK(s.top[0] == page_board::entry{"b", 9});
    CHECK(s.top[1] == page_board::entry{"a", 2});
    CHECK(s.top[2] == page_board::entry{"c", 2});
    CHECK(b.top(10).top.size() == 4);
    CHECK(b.top(0).top.empty());
}

TEST_CASE("equal counts give equal digests, whatever the order of the changes", "[page_board]") {
    page_board a;
    page_board b;
    a.set("home", 1);
    a.set("news", 4);
    a.set("home", 3);
    b.set("news", 4);
    b.set("about", 7);
    b.set("home", 3);
    b.set("about", 0);
    CHECK(a.totals().digest == b.totals().digest);
    CHECK(a.totals().digest == page_board::pair_hash("home", 3) + page_board::pair_hash("news", 4));
    b.set("news", 5);
    CHECK(a.totals().digest != b.totals().digest);
    b.set("news", 4);
    CHECK(a.totals().digest == b.totals().digest);
    page_board empty;
    CHECK(empty.totals().digest == 0);
}

TEST_CASE("the pair hash tells apart a moved count and a renamed page", "[page_board]") {
    CHECK(page_board::pair_hash("home", 1) != page_board::pair_hash("home", 2));
    CHECK(page_board::pair_hash("home", 1) != page_board::pair_hash("homf", 1));
    // Swapping counts between two pages changes the digest.
    CHECK(page_board::pair_hash("a", 1) + page_board::pair_hash("b", 2) !=
          page_board::pair_hash("a", 2) + page_board::pair_hash("b", 1));
}
