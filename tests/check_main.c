/* Runs every suite; CK_RUN_SUITE, CK_RUN_CASE, CK_VERBOSITY and
   CK_FORK work as Check documents them. Ends with one summary line. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "check_tcpq.h"

int main(void)
{
    SRunner *runner;
    int failed, run;

    signal(SIGPIPE, SIG_IGN);
    tq_probe();
    printf("check_tcpq: libtcpq %s; network namespaces: %s; user "
           "namespaces: %s; mount namespaces: %s; ss: %s; nft: %s\n",
           tcpq_version(), tq_caps.netns ? "yes" : "no",
           tq_caps.userns ? "yes" : "no", tq_caps.mountns ? "yes" : "no",
           tq_caps.have_ss ? "yes" : "no", tq_caps.have_nft ? "yes" : "no");
    runner = srunner_create(limits_suite());
    srunner_add_suite(runner, listen_suite());
    srunner_add_suite(runner, buffers_suite());
    srunner_add_suite(runner, modes_suite());
    srunner_add_suite(runner, bad_input_suite());
    srunner_add_suite(runner, io_suite());
    srunner_add_suite(runner, connect_suite());
    srunner_add_suite(runner, signals_suite());
    srunner_add_suite(runner, costs_suite());
    srunner_add_suite(runner, report_suite());
    srunner_add_suite(runner, options_suite());
    srunner_add_suite(runner, run_suite());
    srunner_add_suite(runner, info_suite());
    srunner_add_suite(runner, queue_suite());
    srunner_add_suite(runner, hygiene_suite());
    srunner_add_suite(runner, abi_suite());
    srunner_add_suite(runner, loops_suite());
    srunner_run_all(runner, CK_ENV);
    failed = srunner_ntests_failed(runner);
    run = srunner_ntests_run(runner);
    srunner_free(runner);
    printf("check_tcpq: %d passed, %d failed, %d skipped\n", run - failed,
           failed, tq_skipped());
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
