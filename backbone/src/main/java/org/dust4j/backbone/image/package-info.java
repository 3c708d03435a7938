/**
 * Image input of the GR00T-N1.5 backbone: {@link org.dust4j.backbone.image.U8Image} frames (HWC RGB bytes,
 * from arrays or PNG/JPEG files), GR00T's frame resize ({@link org.dust4j.backbone.image.FrameResizer}:
 * antialiased bilinear to S x S, optional center crop), and {@link org.dust4j.backbone.image.ImagePreprocessor},
 * which makes the contract's pixel_values (section 4.1).
 *
 * <pre>{@code
 * ImagePreprocessor pre = ImagePreprocessor.fromConfig(modelDir.resolve("config.json"));   // S = 224 for N1.5
 * Tensor pv = pre.resizeAndPreprocess(List.of(U8Image.read(Path.of("front.png")),
 *                                             U8Image.read(Path.of("wrist.jpg"))));       // F32 [2, 3, S, S]
 * }</pre>
 */
package org.dust4j.backbone.image;
