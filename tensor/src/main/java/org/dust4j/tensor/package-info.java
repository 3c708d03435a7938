/** Tensors, dtypes, devices, the Backend SPI, the scalar reference backend and the Vector API CPU backend. */
package org.dust4j.tensor;
