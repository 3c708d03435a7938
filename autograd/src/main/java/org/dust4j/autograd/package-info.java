/** Reverse-mode automatic differentiation over {@link org.dust4j.tensor.Tensor}s, AdamW and learning-rate schedules. */
package org.dust4j.autograd;
