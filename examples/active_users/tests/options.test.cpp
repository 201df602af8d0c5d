// Flags: parsed into options, every bad one named in the error.
// SPDX-License-Identifier: MIT
#include "options.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace active_users;

namespace {

result<options> parse(std::vector<std::string> args, const char* secret = "0123456789abcdef") {
    return parse_options(args, secret);
}

std::string error_of(std::vector<std::string> args, const char* secret = "0123456789abcdef") {
    const auto r = parse(std::move(args), secret);
    REQUIRE_FALSE(r.ok());
    return r.error().message;
}

}  // namespace

TEST_CASE("flags parse into options, and every bad flag is named in the error", "[options]") {
    const auto ok = parse({"--id", "3", "--http", "0.0.0.0:80", "--peer", "4@10.0.0.2:9000", "--expiry", "2.5"});
    REQUIRE(ok);
    CHECK(ok->id == 3);
    CHECK(ok->http.port == 80);
    REQUIRE(ok->peers.size() == 1);
    CHECK(ok->peers[0].id == 4);
    CHECK(ok->peers[0].address.host == "10.0.0.2");
    CHECK(ok->expiry == std::chrono::milliseconds(2500));
    CHECK_FALSE(ok->help);

    CHECK(error_of({}) == "--id is required");
    CHECK(error_of({"--id", "0"}).find("--id 0") == 0);
    CHECK(error_of({"--id", "1x"}).find("--id 1x") == 0);
    CHECK(error_of({"--id", "1", "--http", "host"}).find("expected HOST:PORT") != std::string::npos);
    CHECK(error_of({"--id", "1", "--http", "h:70000"}).find("expected HOST:PORT") != std::string::npos);
    CHECK(error_of({"--id", "1", "--peer", "1@h:1"}).find("own id") != std::string::npos);
    CHECK(error_of({"--id", "1", "--peer", "h:1"}).find("ID@HOST:PORT") != std::string::npos);
    CHECK(error_of({"--id", "1", "--expiry", "-1"}).find("--expiry") == 0);
    CHECK(error_of({"--id", "1", "--bogus", "1"}) == "--bogus: unknown flag");
    CHECK(error_of({"--id"}).find("missing value") != std::string::npos);
    CHECK(error_of({"--id", "1"}, "short").find("secret") != std::string::npos);
    CHECK(error_of({"--id", "1"}, nullptr).find("secret") != std::string::npos);
    const auto missing = error_of({"--id", "1", "--api-token-file", "/nonexistent/token"});
    CHECK(missing == "--api-token-file /nonexistent/token: cannot read");
    const auto help = parse({"--help"});
    REQUIRE(help);
    CHECK(help->help);
}
