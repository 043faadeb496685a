#ifndef PU_VERSION_H
#define PU_VERSION_H
#define PU_VERSION "0.4.0"
#endif
