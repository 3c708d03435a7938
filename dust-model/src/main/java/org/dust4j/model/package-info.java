/** The DUST head and the GR00T-N1.5 head, flow-matching training and the asynchronous joint sampler. Not built yet. */
package org.dust4j.model;
