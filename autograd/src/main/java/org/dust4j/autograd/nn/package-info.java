/** Neural-network modules with torch/diffusers parameter names, built on {@link org.dust4j.autograd.F}. */
package org.dust4j.autograd.nn;
