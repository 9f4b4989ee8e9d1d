// Unit tests for parse_options(): defaults, both value forms of each option,
// --help, and every refusal (exit 2). step05 is the last step: it has every
// option of the contract, so none is refused as "arrives later" any more.
#include "options.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using Args = std::vector<std::string>;

Options parsed(const Args& args) {
    ParseOutcome outcome = parse_options(args);
    EXPECT_TRUE(outcome.options.has_value()) << outcome.message;
    EXPECT_EQ(outcome.exit_code, 0);
    return outcome.options.value_or(Options{});
}

// Checks that `args` are refused with exit status 2 and a one-line message.
std::string refused(const Args& args) {
    ParseOutcome outcome = parse_options(args);
    std::string shown;
    for (const auto& a : args) shown += "[" + a + "]";
    EXPECT_FALSE(outcome.options.has_value()) << shown;
    EXPECT_EQ(outcome.exit_code, 2) << shown;
    EXPECT_TRUE(outcome.message.starts_with("httpd: ")) << shown << " " << outcome.message;
    EXPECT_EQ(outcome.message.find('\n'), std::string::npos) << shown << " " << outcome.message;
    return outcome.message;
}

TEST(Options, Defaults) {
    Options o = parsed({});
    EXPECT_EQ(o.host, "127.0.0.1");
    EXPECT_EQ(o.port, 8080);
    EXPECT_EQ(o.root, "www");
    EXPECT_FALSE(o.trace);
}

TEST(Options, Host) {
    EXPECT_EQ(parsed({"--host", "0.0.0.0"}).host, "0.0.0.0");
    EXPECT_EQ(parsed({"--host=10.1.2.3"}).host, "10.1.2.3");
}

TEST(Options, Port) {
    EXPECT_EQ(parsed({"--port", "9000"}).port, 9000);
    EXPECT_EQ(parsed({"--port=9001"}).port, 9001);
    EXPECT_EQ(parsed({"--port", "0"}).port, 0);
    EXPECT_EQ(parsed({"--port=0"}).port, 0);
    EXPECT_EQ(parsed({"--port", "65535"}).port, 65535);
}

TEST(Options, Root) {
    EXPECT_EQ(parsed({"--root", "/srv/site"}).root, "/srv/site");
    EXPECT_EQ(parsed({"--root=docs/html"}).root, "docs/html");
    EXPECT_EQ(parsed({"--root=a=b"}).root, "a=b");  // only the first '=' splits
}

TEST(Options, Trace) {
    EXPECT_TRUE(parsed({"--trace"}).trace);
}

TEST(Options, AllTogetherAndLastOneWins) {
    Options o = parsed({"--trace", "--port=1", "--root", "r", "--host", "1.2.3.4", "--port", "2"});
    EXPECT_TRUE(o.trace);
    EXPECT_EQ(o.port, 2);
    EXPECT_EQ(o.root, "r");
    EXPECT_EQ(o.host, "1.2.3.4");
}

TEST(Options, HelpExitsZeroWithUsage) {
    for (const Args& args : {Args{"--help"}, Args{"-h"}, Args{"--port", "1", "--help"}}) {
        ParseOutcome outcome = parse_options(args);
        EXPECT_FALSE(outcome.options.has_value());
        EXPECT_EQ(outcome.exit_code, 0);
        EXPECT_EQ(outcome.message, usage_text());
    }
    std::string usage = usage_text();
    EXPECT_TRUE(usage.starts_with("usage: httpd")) << usage;
    for (const char* option : {"--host", "--port", "--root", "--timeout", "--threads",
                               "--pool-size", "--trace", "--help"})
        EXPECT_NE(usage.find(option), std::string::npos) << option;
    // step05 has the CGI options, so its usage shows them.
    for (const char* option : {"--cgi-dir", "--cgi-timeout", "--cgi-launch fork|spawn"})
        EXPECT_NE(usage.find(option), std::string::npos) << option;
}

// step02: the idle timeout of a persistent connection.
TEST(Options, Timeout) {
    EXPECT_EQ(parsed({}).timeout_seconds, 15);
    EXPECT_EQ(parsed({"--timeout", "1"}).timeout_seconds, 1);
    EXPECT_EQ(parsed({"--timeout=86400"}).timeout_seconds, 86400);
    refused({"--timeout", "0"});
    refused({"--timeout", "-1"});
    refused({"--timeout", "1.5"});
    refused({"--timeout", "86401"});
    refused({"--timeout"});
}

// step03: the size of the worker pool.
TEST(Options, Threads) {
    EXPECT_EQ(parsed({}).threads, 4);
    EXPECT_EQ(parsed({"--threads", "1"}).threads, 1);
    EXPECT_EQ(parsed({"--threads=256"}).threads, 256);
    refused({"--threads", "0"});
    refused({"--threads", "-1"});
    refused({"--threads", "257"});
    refused({"--threads", "2.5"});
    refused({"--threads", "two"});
    refused({"--threads="});
    refused({"--threads"});
}

// step03: the memory pool of each connection, in bytes.
TEST(Options, PoolSize) {
    EXPECT_EQ(parsed({}).pool_size, 32768u);
    EXPECT_EQ(parsed({"--pool-size", "4096"}).pool_size, 4096u);
    EXPECT_EQ(parsed({"--pool-size=1048576"}).pool_size, 1048576u);
    refused({"--pool-size", "4095"});
    refused({"--pool-size", "1048577"});
    refused({"--pool-size", "0"});
    refused({"--pool-size", "-4096"});
    refused({"--pool-size", "32k"});
    refused({"--pool-size", "99999999999999999999"});
    refused({"--pool-size"});
}

TEST(Options, UnknownOptionExits2) {
    EXPECT_NE(refused({"--bogus"}).find("--bogus"), std::string::npos);
    EXPECT_NE(refused({"--bogus=1"}).find("--bogus"), std::string::npos);
    refused({"-p", "80"});
    refused({"www"});  // no positional arguments
    refused({"--port", "80", "extra"});
    refused({"--Port", "80"});  // option names are case-sensitive
}

TEST(Options, MalformedPortExits2) {
    refused({"--port", "abc"});
    refused({"--port=abc"});
    refused({"--port", "70000"});
    refused({"--port", "65536"});
    refused({"--port", "-1"});
    refused({"--port", "+80"});
    refused({"--port", "80x"});
    refused({"--port", " 80"});
    refused({"--port", "8.5"});
    refused({"--port", ""});
    refused({"--port="});
    refused({"--port", "99999999999999999999"});
    refused({"--port"});                       // value missing
    refused({"--port", "--trace"});            // the next option is not a value
}

TEST(Options, MissingHostOrRootValueExits2) {
    refused({"--host"});
    refused({"--host="});
    refused({"--root"});
    refused({"--root="});
}

// step05: the directory under the root whose programs run at /cgi-bin/.
TEST(Options, CgiDir) {
    EXPECT_EQ(parsed({}).cgi_dir, "cgi-bin");
    EXPECT_EQ(parsed({"--cgi-dir", "scripts"}).cgi_dir, "scripts");
    EXPECT_EQ(parsed({"--cgi-dir=cgi/bin"}).cgi_dir, "cgi/bin");
    refused({"--cgi-dir"});
    refused({"--cgi-dir="});
}

// step05: how long a CGI program may run before it is killed (504 if it
// has not answered by then).
TEST(Options, CgiTimeout) {
    EXPECT_EQ(parsed({}).cgi_timeout_seconds, 30);
    EXPECT_EQ(parsed({"--cgi-timeout", "1"}).cgi_timeout_seconds, 1);
    EXPECT_EQ(parsed({"--cgi-timeout=3600"}).cgi_timeout_seconds, 3600);
    refused({"--cgi-timeout", "0"});
    refused({"--cgi-timeout", "-1"});
    refused({"--cgi-timeout", "3601"});
    refused({"--cgi-timeout", "1.5"});
    refused({"--cgi-timeout", "5s"});
    refused({"--cgi-timeout="});
    refused({"--cgi-timeout"});
}

// step05: how a CGI child is made, fork and exec (the default) or
// posix_spawn.
TEST(Options, CgiLaunch) {
    EXPECT_EQ(parsed({}).cgi_launch, CgiLaunchMethod::kFork);
    EXPECT_EQ(parsed({"--cgi-launch", "spawn"}).cgi_launch, CgiLaunchMethod::kPosixSpawn);
    EXPECT_EQ(parsed({"--cgi-launch=spawn"}).cgi_launch, CgiLaunchMethod::kPosixSpawn);
    EXPECT_EQ(parsed({"--cgi-launch=spawn", "--cgi-launch", "fork"}).cgi_launch,
              CgiLaunchMethod::kFork);
    for (const char* bad : {"vfork", "Spawn", "posix_spawn", ""}) {
        std::string message = refused({"--cgi-launch", bad});
        EXPECT_NE(message.find("--cgi-launch"), std::string::npos) << message;
    }
    refused({"--cgi-launch"});
}

// Earlier steps refuse --cgi-dir and --cgi-timeout as "not available in
// stepNN (it arrives in step05)". Here they exist, and an unknown option is
// only unknown: exit 2, never a pointer to a later step.
TEST(Options, NoOptionIsRefusedAsLater) {
    Options o = parsed({"--cgi-dir", "5", "--cgi-timeout", "5"});
    EXPECT_EQ(o.cgi_dir, "5");
    EXPECT_EQ(o.cgi_timeout_seconds, 5);
    for (const char* name : {"--bogus", "--cgi", "--fastcgi", "--cgi-dirs"}) {
        std::string message = refused({name, "5"});
        EXPECT_EQ(message.find("is not available"), std::string::npos) << message;
        EXPECT_NE(message.find("unknown option"), std::string::npos) << message;
    }
}

}  // namespace
