// Flags: parsed into options, every bad one named in the error.
// SPDX-License-Identifier: MIT
#include "options.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
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

TEST_CASE("the --nats flag replaces the mesh, and its login files are read and checked at start", "[options][nats]") {
    const auto ok = parse({"--id", "7", "--nats", "nats://a:4222,nats://b:4223", "--nats-subject-prefix", "prod.eu-1"});
    REQUIRE(ok);
    CHECK(ok->nats.servers == std::vector<std::string>{"nats://a:4222", "nats://b:4223"});
    CHECK(ok->nats.subject_prefix == "prod.eu-1");
    CHECK(parse({"--id", "7"})->nats.servers.empty());
    CHECK(parse({"--id", "7"})->nats.subject_prefix == "converge");

    CHECK(error_of({"--id", "1", "--nats", "nats://a:1,"}).find("--nats nats://a:1,: expected") == 0);
    CHECK(error_of({"--id", "1", "--nats", "nats://a:1", "--peer", "2@h:1"}).find("not both") != std::string::npos);
    for (const char* bad : {"", "a..b", ".a", "a.", "a.*", "a.>", "a b"})
        CHECK(error_of({"--id", "1", "--nats", "nats://a:1", "--nats-subject-prefix", bad}).find("--nats-subject-prefix") == 0);
    CHECK(error_of({"--id", "1", "--nats-token-file", "/nonexistent"}).find("need --nats") != std::string::npos);
    CHECK(error_of({"--id", "1", "--nats", "nats://a:1", "--nats-token-file", "/nonexistent/token"}) ==
          "--nats-token-file /nonexistent/token: cannot read");
    CHECK(error_of({"--id", "1", "--nats", "nats://a:1", "--nats-creds", "/nonexistent/user.creds"}) ==
          "--nats-creds /nonexistent/user.creds: cannot read");

    const std::string token_path = (std::filesystem::temp_directory_path() / "converge-nats-token.test").string();
    std::ofstream(token_path) << "s3cret-token\n";
    const auto with_token = parse({"--id", "1", "--nats", "nats://a:1", "--nats-token-file", token_path});
    REQUIRE(with_token);
    CHECK(with_token->nats.token == "s3cret-token");
    CHECK(error_of({"--id", "1", "--nats", "nats://a:1", "--nats-token-file", token_path, "--nats-creds", token_path})
              .find("not both") != std::string::npos);
    std::ofstream(token_path) << "\n";
    CHECK(error_of({"--id", "1", "--nats", "nats://a:1", "--nats-token-file", token_path}).find(": empty") != std::string::npos);
    std::filesystem::remove(token_path);
}

TEST_CASE("presence shards and interest are set with --nats only, each value in its range", "[options][nats]") {
    const auto plain = parse({"--id", "7", "--nats", "nats://a:1"});
    REQUIRE(plain);
    CHECK(plain->nats.shards == 1024);
    CHECK_FALSE(plain->nats.follow_all);
    CHECK(plain->nats.interest_lapse == std::chrono::seconds(60));
    const auto set = parse({"--id", "7", "--nats", "nats://a:1", "--nats-shards", "64", "--nats-follow", "all",
                            "--interest-lapse", "1.5"});
    REQUIRE(set);
    CHECK(set->nats.shards == 64);
    CHECK(set->nats.follow_all);
    CHECK(set->nats.interest_lapse == std::chrono::milliseconds(1500));
    for (const char* bad : {"0", "65537", "-1", "x", ""})
        CHECK(error_of({"--id", "1", "--nats", "nats://a:1", "--nats-shards", bad}).find("--nats-shards") == 0);
    CHECK(error_of({"--id", "1", "--nats", "nats://a:1", "--nats-follow", "some"}).find("expected interest or all") != std::string::npos);
    CHECK(error_of({"--id", "1", "--nats", "nats://a:1", "--interest-lapse", "0"}).find("--interest-lapse") == 0);
    for (const auto& [flag, value] : {std::pair{"--nats-shards", "8"}, {"--nats-follow", "all"}, {"--interest-lapse", "1"}})
        CHECK(error_of({"--id", "1", flag, value}).find(std::string(flag) + " needs --nats") == 0);
}
