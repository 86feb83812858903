#include <cups/cups.h>
#include <cups/backend.h>
#include <cups/sidechannel.h>
