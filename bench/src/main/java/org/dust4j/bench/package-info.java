/** JMH benchmarks; run them with bench/run-jmh. Peer comparisons live in bench/compare-*. */
package org.dust4j.bench;
