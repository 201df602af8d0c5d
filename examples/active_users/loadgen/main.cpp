// converge-loadgen's entry point: parse flags, run the scenario on one thread, print the report and verdict.
// SPDX-License-Identifier: MIT
#include "options.hpp"
#include "scenario.hpp"
#include "stats.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <iostream>
#include <optional>

int main(int argc, char** argv) {
    loadgen::options opts;
    try {
        opts = loadgen::parse_options(argc, argv);
    } catch (const loadgen::usage_error& e) {
        std::cerr << "converge-loadgen: " << e.what() << " (see --help)\n";
        return 2;
    }
    if (opts.help) {
        std::cout << loadgen::usage;
        return 0;
    }

    try {
        // One thread, one io_context: the load is I/O-bound, and the machine is shared with the servers.
        boost::asio::io_context io(1);
        loadgen::stats st;
        loadgen::scenario run(io.get_executor(), opts, st);
        std::optional<loadgen::run_result> result;
        boost::asio::co_spawn(io, run.run(), [&](std::exception_ptr e, loadgen::run_result r) {
            if (e) std::rethrow_exception(e);
            result = std::move(r);
        });
        io.run();
        st.print(std::cout);
        if (!result) {
            std::cout << "NOT converged: the run ended early\n";
            return 1;
        }
        std::cout << result->verdict << "\n";
        return result->converged ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "converge-loadgen: " << e.what() << "\n";
        return 1;
    }
}
