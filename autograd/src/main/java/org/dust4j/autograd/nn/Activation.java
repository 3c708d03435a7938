package org.dust4j.autograd.nn;

/** Element-wise activation modules without parameters: {@link GELU}, {@link SiLU}, {@link ReLU}. */
public abstract class Activation extends Module implements Layer {
}
