/** The embedded benchmark: simulated tabletop tasks, expert demonstrations, closed-loop evaluation. Not built yet. */
package org.dust4j.sim;
